# Request validation for the SageMaker API; included from
# src/api/CMakeLists.txt. The regex engine and the Unicode table it needs are
# private (detail/); the built-in task types come from tasktypes.
add_library(plumbline_api_validation STATIC
  ${CMAKE_CURRENT_LIST_DIR}/validation.cpp
  ${CMAKE_CURRENT_LIST_DIR}/detail/regex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/detail/unicode.cpp)
target_link_libraries(plumbline_api_validation
  PUBLIC plumbline_common Boost::json
  PRIVATE plumbline_tasktypes plumbline_warnings)
