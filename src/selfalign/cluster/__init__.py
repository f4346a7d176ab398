"""Where jobs run: GPUs, launchers, logs, environments and the results folder's claim."""
