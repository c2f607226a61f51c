"""What the hotline does with a report, whichever way it came: the call log, the voice menu, opening a
case (`intake.report_arrived`), the escalation ladder, every SMS wording, replies, the outbox's rows, the
spool and the retention periods.

Imports neither Flask nor RQ: functions take a session and the settings they need, so the web
(`hotline`), the workers (`workers`) and the tests call the same rules.
"""
