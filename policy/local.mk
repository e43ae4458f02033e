# policy/: targets are added here.
