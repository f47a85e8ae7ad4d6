"""The grading policy's version. Bump it whenever a rule or threshold changes, so stored
reports can be re-graded and the change recorded."""

POLICY_VERSION = "2026.12.1"
