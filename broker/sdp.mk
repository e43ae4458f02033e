# broker/: targets are added here.
