"""smarthome: a Dagster data platform for smart-home energy and weather data (the HomeC dataset)."""
