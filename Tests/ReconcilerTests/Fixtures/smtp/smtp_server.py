"""A real SMTP relay for nectar's tests: aiosmtpd with STARTTLS required and
AUTH (PLAIN and LOGIN) required after it. Every accepted message is appended
as a JSON line to the messages file. Recipients starting with `reject` get
550; those starting with `busy` get 451 the first time, then 250.

With MODE `implicit-login` the relay speaks TLS from the first byte
(port 465 style) and offers AUTH LOGIN only.

usage: smtp_server.py PORT MESSAGES CERT KEY USER PASSWORD [MODE]
"""
import asyncio
import json
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

port, messages, cert, key, user, password = sys.argv[1:7]
mode = sys.argv[7] if len(sys.argv) > 7 else "starttls"


class Handler:
    def __init__(self):
        self.busy_seen = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 No such user here"
        if address.startswith("busy") and address not in self.busy_seen:
            self.busy_seen.add(address)
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            # In implicit mode the listener speaks only TLS (session.ssl is set by STARTTLS alone).
            "tls": session.ssl is not None or mode == "implicit-login",
            "authenticated": bool(session.authenticated),
        }
        with open(messages, "a") as out:
            out.write(json.dumps(record) + "\n")
        return "250 2.0.0 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
if mode == "implicit-login":
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), ssl_context=context, authenticator=authenticator,
                            auth_require_tls=False, auth_exclude_mechanism=["PLAIN"])
else:
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_require_tls=True)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()  # runs until the test closes stdin
finally:
    controller.stop()
