# contrib/load/: targets are added here.
