"""Email notifications: an outbox written in the caller's transaction, delivered by a worker.

``outbox.enqueue`` renders the message (the recipient's language, plain text and HTML) and adds
an ``outbox`` row in the session of the change that causes it: the message exists if and only if
that change commits. ``worker`` delivers due rows over SMTP (``MAIL_URL``), with retries and backoff.
"""
