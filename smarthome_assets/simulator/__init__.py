"""The feed simulator: live synthetic deliveries into the incoming zone (`smarthome simulate`)."""
