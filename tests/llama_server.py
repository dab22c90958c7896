"""`python -m llama_cpp.server`, loading its model the way hawkeye does: without llama.cpp's AMX kernels where the
build has them, since they crash (see hawkeye_cli.backends.llama_cpp.amx_kernels_off). The server itself is
llama-cpp-python's, unchanged; its arguments pass through."""

import runpy

from hawkeye_cli.backends.llama_cpp import amx_kernels_off

if __name__ == "__main__":
    with amx_kernels_off():
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
