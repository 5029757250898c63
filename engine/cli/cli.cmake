# cli: the `sic` commands (main.c is the executable's own file, on top of libsic). It is the
# top layer: it may use every component, and the optional ones only when built
# (SIC_HAVE_RAG, SIC_HAVE_ML_TRAIN tell its sources which are).
find_library(READLINE_LIBRARY readline REQUIRED)
set(SIC_CLI_DEPENDS core parquet delta store sources ml http fleet)
foreach(optional rag ml_train)
  if(TARGET sic_${optional})
    list(APPEND SIC_CLI_DEPENDS ${optional})
  endif()
endforeach()
set(SIC_CLI_EXCLUDE "/engine/cli/main\\.c$")
if(NOT TARGET sic_rag)
  list(APPEND SIC_CLI_EXCLUDE "/engine/cli/cmd_ask\\.c$" "/engine/cli/cmd_kb\\.c$")
endif()
if(NOT TARGET sic_ml_train)
  list(APPEND SIC_CLI_EXCLUDE "/engine/cli/cmd_train\\.c$")
endif()
sic_add_component(cli DIRS engine/cli EXCLUDE ${SIC_CLI_EXCLUDE} DEPENDS ${SIC_CLI_DEPENDS}
  LIBS ${READLINE_LIBRARY})
