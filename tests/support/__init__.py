"""What the tests of tests/ui and tests/unit share (Anki's tests/shared.py idea): one seeded master
profile per session, copied for each test that changes it; one cheap key derivation; helpers to drive
the window. Tests import from here, never from bench/."""
