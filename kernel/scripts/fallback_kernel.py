"""A stand-in kernel that answers every cell with the reason rust-lowdim could not start.

`lowdim-kernel run` switches to it on the same connection file when evcxr exits
with an error (for instance a config that does not compile), so the notebook
shows what went wrong and what to do instead of a kernel that silently died.

usage: python fallback_kernel.py CONNECTION_FILE MESSAGE_FILE
"""
import sys

from ipykernel.kernelapp import IPKernelApp
from ipykernel.kernelbase import Kernel


class StartupErrorKernel(Kernel):
    implementation = "rust-lowdim-startup-error"
    implementation_version = "1"
    language_info = {"name": "rust", "mimetype": "text/rust", "file_extension": ".rs"}
    banner = "rust-lowdim could not start"
    message = "rust-lowdim could not start"

    def do_execute(self, code, silent, store_history=True, user_expressions=None,
                   allow_stdin=False, **kwargs):
        if not silent:
            self.send_response(self.iopub_socket, "stream", {"name": "stderr", "text": self.message})
        return {
            "status": "error",
            "execution_count": self.execution_count,
            "ename": "KernelStartupError",
            "evalue": "the rust-lowdim kernel could not start; see the message above",
            "traceback": [self.message],
        }


if __name__ == "__main__":
    connection_file, message_file = sys.argv[1], sys.argv[2]
    with open(message_file, encoding="utf-8") as f:
        StartupErrorKernel.message = f.read()
    IPKernelApp.launch_instance(kernel_class=StartupErrorKernel, argv=["-f", connection_file])
