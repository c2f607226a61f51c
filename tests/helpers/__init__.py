"""What the tests share: signed Twilio requests (`support`), the seeded ladder (`ladder`), fake and mocked Twilio
(`fake_twilio`, `fault_twilio`, `prism`), console and browser sessions, the fault suite's stack, and a Redis
database of one's own per run (`lease`, also used by bench/)."""
