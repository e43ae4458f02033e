# tests/integration/: targets are added here.
