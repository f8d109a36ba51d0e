# cwola_add_test(NAME <name> SOURCES <files...> LIBS <targets...>
#                [MPI_RANKS <n...>] [LABELS <labels...>] [TIMEOUT <s>])
# Registers a Boost.Test executable with CTest. With MPI_RANKS the test is
# registered once per rank count under mpiexec (as <name>_np<n>).
set(CWOLA_MPIEXEC_EXTRA_FLAGS --oversubscribe --bind-to none)
# Open MPI refuses to run as root unless told; CI and containers run as root.
execute_process(COMMAND id -u OUTPUT_VARIABLE CWOLA_USER_ID OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CWOLA_USER_ID STREQUAL "0")
  list(APPEND CWOLA_MPIEXEC_EXTRA_FLAGS --allow-run-as-root)
endif()

function(cwola_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SOURCES;LIBS;MPI_RANKS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} Boost::unit_test_framework)
  target_compile_definitions(${T_NAME} PRIVATE BOOST_TEST_DYN_LINK)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  if(T_MPI_RANKS)
    foreach(np IN LISTS T_MPI_RANKS)
      add_test(NAME ${T_NAME}_np${np}
               COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np}
                       ${CWOLA_MPIEXEC_EXTRA_FLAGS} $<TARGET_FILE:${T_NAME}>)
      set_tests_properties(${T_NAME}_np${np} PROPERTIES TIMEOUT ${T_TIMEOUT}
                           LABELS "mpi;${T_LABELS}" PROCESSORS ${np}
                           ENVIRONMENT "OMP_NUM_THREADS=1;OPENBLAS_NUM_THREADS=1")
    endforeach()
  else()
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES TIMEOUT ${T_TIMEOUT} LABELS "${T_LABELS}"
                         ENVIRONMENT "OMP_NUM_THREADS=1;OPENBLAS_NUM_THREADS=1")
  endif()
endfunction()
