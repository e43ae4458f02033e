# relay/: targets are added here.
