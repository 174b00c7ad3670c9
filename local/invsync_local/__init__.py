"""Local runtime for inventory-sync: embedded AWS (moto server), API server, pollers, schedules, simulators."""
