# contrib/: targets are added here.
