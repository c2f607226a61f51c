"""Background work on RQ: thin jobs of ids (`jobs`), the outbox's dispatch and sweep (`dispatch`), the
Twilio SMS client (`twilio_sms`), the relay and the worker entry point. The rules are `casework`'s."""
