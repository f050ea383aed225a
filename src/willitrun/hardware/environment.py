"""Where we run: a container or WSL may hide a GPU the host has; say so, and what to do."""

from __future__ import annotations

from willitrun.hardware.probe import Probe


def environment_notes(probe: Probe, found_gpu: bool) -> list[str]:
    if found_gpu or not probe.platform.startswith("linux"):
        return []
    notes = []
    version = (probe.read("/proc/version") or "").lower()
    if "microsoft" in version or probe.env.get("WSL_DISTRO_NAME"):
        if probe.exists("/usr/lib/wsl/lib/libcuda.so") or probe.exists("/usr/lib/wsl/lib/libcuda.so.1"):
            notes.append(
                "WSL: the Windows GPU driver is exposed (/usr/lib/wsl/lib) but no GPU answered: update the NVIDIA "
                "driver on Windows and run `wsl --update`; do not install a Linux NVIDIA driver inside WSL"
            )
        else:
            notes.append(
                "WSL without GPU access: install the NVIDIA (or AMD) driver on Windows, not in Linux, then "
                "`wsl --shutdown`; `nvidia-smi` inside WSL should then list the card"
            )
    cgroup = probe.read("/proc/1/cgroup") or ""
    in_container = probe.exists("/.dockerenv") or probe.exists("/run/.containerenv") or "docker" in cgroup
    # only when the host shows signs of a GPU: its driver, or GPU device nodes passed in without a runtime
    host_gpu = any(probe.exists(p) for p in ("/proc/driver/nvidia/version", "/dev/nvidiactl", "/dev/kfd", "/dev/dri"))
    if (in_container or "kubepods" in cgroup) and host_gpu:
        notes.append(
            "inside a container with no GPU visible: start it with `--gpus all` (NVIDIA Container Toolkit) or "
            "`--device /dev/kfd --device /dev/dri` (ROCm)"
        )
    return notes
