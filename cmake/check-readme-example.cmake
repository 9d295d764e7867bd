# Fails when the README's example is not, byte for byte, examples/quickstart.cpp (which is compiled).
file(READ "${README}" readme)
file(READ "${EXAMPLE}" example)
string(FIND "${readme}" "```cpp\n${example}```" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md's example differs from ${EXAMPLE}: copy the file into the README")
endif()
