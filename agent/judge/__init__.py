"""The judge: pure policy, (what the agent knows, now, the policy) -> alerts and the agenda.

No I/O; imports only the core."""
