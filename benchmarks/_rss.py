"""Peak-memory probe shared by the benchmark scripts (imported from the scripts' folder)."""

import resource


def maxrss_bytes() -> int:
    """Peak resident memory of this process [bytes]: VmHWM (reset at exec, unlike ru_maxrss,
    which a child inherits from its parent on Linux), else ru_maxrss."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
