"""Test support: data builders, real-service helpers and small code locations shared by the tests."""
