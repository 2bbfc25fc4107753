# Tests of src/api/validation.*; included from tests/api/CMakeLists.txt.
plumbline_test(api_validation_test
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/validation_test.cpp
  LIBS plumbline_api_validation)
