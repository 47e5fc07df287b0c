"""The Taichi runtime owner: lazy, idempotent, arch from argument or MICROCATH_ARCH."""

import json
import os
import subprocess
import sys
import textwrap

import pytest


def _run(code: str, **env) -> dict:
    """Run ``code`` in a fresh interpreter (a fresh Taichi) and return the JSON it prints last."""
    full_env = {**os.environ, **env}
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env=full_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_idempotent_in_process(ti_cpu):
    import taichi as ti
    from microcath.gpu_kernels import current_arch, ensure_initialized

    prog = ti.lang.impl.get_runtime().prog
    assert ensure_initialized() == ti_cpu == "cpu"
    assert ensure_initialized("cpu") == "cpu"
    assert ti.lang.impl.get_runtime().prog is prog  # not re-initialised
    assert current_arch() == "cpu"


def test_bad_arch_raises_value_error(monkeypatch):
    from microcath.gpu_kernels import ensure_initialized

    with pytest.raises(ValueError, match="arch: expected one of auto, cuda, vulkan, cpu, got 'opengl'"):
        ensure_initialized("opengl")
    monkeypatch.setenv("MICROCATH_ARCH", "tpu")
    with pytest.raises(ValueError, match="MICROCATH_ARCH"):
        ensure_initialized()


def test_env_var_lazy_start_and_host_runtime_kept():
    """In a fresh process: nothing starts on import; MICROCATH_ARCH=cpu is honoured; a runtime the
    host program started is kept (its fields survive) even when another arch is requested."""
    out = _run("""
        import json, logging
        import microcath.gpu_kernels.runtime as rt
        before = rt.is_initialized()
        arch = rt.ensure_initialized()
        requested = rt._state["requested"]
        import taichi as ti
        ti.reset()
        ti.init(arch=ti.cpu)                      # the host program starts taichi itself
        f = ti.field(ti.f32, shape=4)
        f[2] = 7.0
        prog = ti.lang.impl.get_runtime().prog
        logging.disable(logging.CRITICAL)
        kept = rt.ensure_initialized("vulkan")     # must not re-initialise
        print(json.dumps({"before": before, "arch": arch, "requested": requested, "kept": kept,
                          "same_prog": ti.lang.impl.get_runtime().prog is prog, "value": float(f[2])}),
              flush=True)
        # Taichi 1.7.4's own teardown of a runtime started after ti.reset() died once with SIGBUS in CI
        # (after this line had printed the right answer; 0 of 20 runs here): leave without it
        import os
        os._exit(0)
    """, MICROCATH_ARCH="cpu")
    assert out == {"before": False, "arch": "cpu", "requested": "cpu", "kept": "cpu", "same_prog": True,
                   "value": 7.0}


def test_argument_beats_environment():
    out = _run("""
        import json
        import microcath.gpu_kernels.runtime as rt
        print(json.dumps({"arch": rt.ensure_initialized("cpu"), "requested": rt._state["requested"]}))
    """, MICROCATH_ARCH="vulkan")
    assert out == {"arch": "cpu", "requested": "cpu"}


_BROKEN_KERNEL = """
    import json
    import taichi as ti
    from microcath.gpu_kernels import ensure_initialized
    ensure_initialized("cpu")

    @ti.kernel
    def broken(a: ti.types.ndarray(ndim=1)):
        for i in range(a.shape[0]):
            a[i] = undefined_name_xyz + 1.0

    x = ti.ndarray(ti.f32, (4,))
    try:
        broken(x)
        msg = ""
    except Exception as exc:
        msg = str(exc)
    print(json.dumps({"msg": msg}))
"""


def _run_file(tmp_path, code: str, **env) -> dict:
    """Like ``_run``, from a script file (Taichi reads a kernel's source from its file)."""
    script = tmp_path / "broken.py"
    script.write_text(textwrap.dedent(code))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_compile_errors_keep_file_line_and_kernel(tmp_path):
    """The short source info of ``runtime._short_source_info`` (the front end's excerpts cost
    seconds per process) still names the file, the line and the kernel of an error; with
    MICROCATH_TAICHI_FULL_SOURCE_INFO=1 Taichi's own excerpt (the source line) is back."""
    short = _run_file(tmp_path, _BROKEN_KERNEL, MICROCATH_ARCH="cpu")["msg"]
    assert "undefined_name_xyz" in short  # the error itself
    assert "broken.py\", line 10, in broken" in short
    assert "a[i] = undefined_name_xyz + 1.0" not in short
    full = _run_file(tmp_path, _BROKEN_KERNEL, MICROCATH_ARCH="cpu",
                     MICROCATH_TAICHI_FULL_SOURCE_INFO="1")["msg"]
    assert "broken.py\", line 10, in broken" in full
    assert "a[i] = undefined_name_xyz + 1.0" in full
