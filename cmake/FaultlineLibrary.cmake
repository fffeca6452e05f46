# One helper declares every Faultline library: the standard, the warning set (errors), the
# include root (the repository, so includes read "engine/storage/log.h") and the namespaced alias.
#
#   faultline_library(storage SOURCES a.cpp b.cpp DEPS faultline::protocol PRIVATE_DEPS z)
#     -> target faultline_storage, alias faultline::storage
set(FAULTLINE_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers)

function(faultline_warnings target)
    target_compile_options(${target} PRIVATE ${FAULTLINE_WARNINGS})
endfunction()

function(faultline_library name)
    cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS;INCLUDES" ${ARGN})
    set(target faultline_${name})
    add_library(${target} STATIC ${ARG_SOURCES})
    add_library(faultline::${name} ALIAS ${target})
    target_compile_features(${target} PUBLIC cxx_std_23)
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR} ${ARG_INCLUDES})
    target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    faultline_warnings(${target})
endfunction()

# A Qt Test executable registered with ctest.
#   faultline_test(test_codec SOURCES test_codec.cpp LIBS faultline::protocol [LABELS unit] [TIMEOUT 120])
function(faultline_test name)
    cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
    add_executable(${name} ${ARG_SOURCES})
    target_link_libraries(${name} PRIVATE Qt6::Test Qt6::Core ${ARG_LIBS})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
    set_target_properties(${name} PROPERTIES AUTOMOC ON)
    faultline_warnings(${name})
    add_test(NAME ${name} COMMAND ${name})
    if(NOT ARG_TIMEOUT)
        set(ARG_TIMEOUT 300)
    endif()
    set_tests_properties(${name} PROPERTIES TIMEOUT ${ARG_TIMEOUT}
        ENVIRONMENT "QT_QPA_PLATFORM=offscreen;FAULTLINE_BUILD_DIR=${PROJECT_BINARY_DIR};FAULTLINE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
    if(ARG_LABELS)
        set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
    endif()
endfunction()
