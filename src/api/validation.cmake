# Request validation for the SageMaker API (owned by the crypto/validation
# author); included from src/api/CMakeLists.txt.
add_library(plumbline_api_validation STATIC ${CMAKE_CURRENT_LIST_DIR}/validation.cpp)
target_link_libraries(plumbline_api_validation
  PUBLIC plumbline_common Boost::json
  PRIVATE plumbline_warnings)
