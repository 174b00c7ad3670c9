"""Channel simulators that answer as the real platforms do."""
