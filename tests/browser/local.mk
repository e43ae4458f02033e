# tests/browser/: targets are added here.
