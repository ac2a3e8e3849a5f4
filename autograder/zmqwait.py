"""Waits on a kernel's sockets that cannot miss a message.

pyzmq's asyncio poll watches ZeroMQ's edge-triggered file descriptor:
when the wake-up for a message that has already arrived is missed, the
poll finds the message only when its timeout fires.  nbclient waits up
to the cell's timeout (nbval, Validate, ``nbgrader autograde``), so such
a miss stalls a one-second cell for minutes.  A fresh poll checks the
socket at once, so waiting in short slices bounds a missed wake-up to
one slice.

``install()`` makes every asynchronous kernel client of this process
wait that way (jupyter_client's ``AsyncZMQSocketChannel.get_msg``).  It
is applied at start-up wherever notebooks are executed: the course's
nbgrader configuration (nbgrader autograde, validate, the lab's
Validate button), the lab launcher, the grader, and ``make test``'s
nbval run (``-p autograder.zmqwait``).
"""
import queue
import time

# Longest single wait on a kernel socket, in seconds.
POLL_SLICE = 0.2


def sliced(get_msg):
    """A channel class's async ``get_msg(self, timeout=None)`` that waits
    in POLL_SLICE slices, raising ``queue.Empty`` at the deadline as the
    original does."""
    if getattr(get_msg, "_sliced", False):
        return get_msg

    async def get_msg_sliced(channel, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else \
                min(POLL_SLICE, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(channel, timeout=left)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
    get_msg_sliced._sliced = True
    get_msg_sliced.__doc__ = get_msg.__doc__
    return get_msg_sliced


def install():
    """Patch jupyter_client's asynchronous channel class (once)."""
    from jupyter_client.channels import AsyncZMQSocketChannel
    AsyncZMQSocketChannel.get_msg = sliced(AsyncZMQSocketChannel.get_msg)


# Loading the module (``pytest -p autograder.zmqwait``, an import in a
# configuration file) is enough.
install()
