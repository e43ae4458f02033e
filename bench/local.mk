# bench/: targets are added here.
