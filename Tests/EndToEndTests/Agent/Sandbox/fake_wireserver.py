"""A fake Azure WireServer (port 80) and HostGAPlugin (port 32526) on one loopback address, for running the real
Linux guest agent (Debian's waagent 2.7.3) against vmsnap's extension package. See guest-agent.md sections 2-3.

The test drives it through files in STATE (re-read on every request):
  goalstate.json   {"incarnation": N, "seqNo": S, "settings": <handlerSettings object>, "zip": PATH,
                    "version": "1.0.9999.0", "tenantCertificate": PEM, "tenantKey": PEM}
and reads what the agent sent:
  uploads.jsonl    one line per status upload: {"time": unix seconds, "document": <the agent's status document>}
  requests.log     one line per request: method, path, answer status
"""
import base64
import http.server
import json
import os
import socketserver
import subprocess
import tempfile
import threading
import time
from xml.sax.saxutils import escape

NAME = "Microsoft.Azure.RecoveryServices.VMSnapshotLinux"
CONTAINER = "c0ffee00-0000-4000-8000-000000000001"
INSTANCE = "vmsnap-sandbox.MachineRole_IN_0"


class State:
    def __init__(self, directory):
        self.directory = directory
        self.lock = threading.Lock()

    def goal(self):
        with open(os.path.join(self.directory, "goalstate.json")) as f:
            return json.load(f)

    def append(self, name, line):
        with self.lock, open(os.path.join(self.directory, name), "a") as f:
            f.write(line + "\n")


def certificates_xml(goal, transport_cert_b64):
    """The tenant certificate and key as a PFX (empty password) in a CMS envelope to the agent's transport cert."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as work:
        paths = {name: os.path.join(work, name) for name in ("tenant.pem", "transport.pem", "tenant.pfx", "env.der")}
        with open(paths["tenant.pem"], "w") as f:
            f.write(goal["tenantCertificate"] + goal["tenantKey"])
        der = base64.b64decode(transport_cert_b64)
        pem = "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"
        with open(paths["transport.pem"], "w") as f:
            f.write(pem)
        subprocess.run(["openssl", "pkcs12", "-export", "-passout", "pass:", "-in", paths["tenant.pem"],
                        "-out", paths["tenant.pfx"]], check=True, capture_output=True)
        subprocess.run(["openssl", "cms", "-encrypt", "-binary", "-des3", "-outform", "DER", "-in", paths["tenant.pfx"],
                        "-out", paths["env.der"], paths["transport.pem"]], check=True, capture_output=True)
        with open(paths["env.der"], "rb") as f:
            data = base64.encodebytes(f.read()).decode()  # 76-char lines; one long line breaks the agent's openssl
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><CertificateFile><Version>2012-11-30</Version>"
            "<Incarnation>1</Incarnation><Format>Pkcs7BlobWithPfxContents</Format><Data>" + data + "</Data>"
            "</CertificateFile>")


def wire_handler(state, address):
    base = "http://%s" % address

    class WireServer(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body=b"", content_type="text/xml; charset=utf-8"):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            state.append("requests.log", "%s %s %d" % (self.command, self.path, status))

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            self.answer(200)

        def do_PUT(self):
            self.do_POST()

        def do_GET(self):
            goal = state.goal()
            incarnation = goal["incarnation"]
            version = goal["version"]
            path = self.path
            if path == "/?comp=versions":
                return self.answer(200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><Versions><Preferred><Version>"
                                   "2015-04-05</Version></Preferred><Supported><Version>2015-04-05</Version>"
                                   "<Version>2012-11-30</Version></Supported></Versions>")
            if path.startswith("/machine/?comp=goalstate") or path.startswith("/machine?comp=goalstate"):
                role = "%s/machine/%s/%s" % (base, CONTAINER, INSTANCE)
                return self.answer(200, (
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><GoalState><Version>2012-11-30</Version>"
                    "<Incarnation>%d</Incarnation><Machine><ExpectedState>Started</ExpectedState></Machine>"
                    "<Container><ContainerId>%s</ContainerId><RoleInstanceList><RoleInstance>"
                    "<InstanceId>%s</InstanceId><State>Started</State><Configuration>"
                    "<HostingEnvironmentConfig>%s?comp=config&amp;type=hostingEnvironmentConfig&amp;incarnation=%d"
                    "</HostingEnvironmentConfig><SharedConfig>%s?comp=config&amp;type=sharedConfig&amp;incarnation=%d"
                    "</SharedConfig><ExtensionsConfig>%s?comp=config&amp;type=extensionsConfig&amp;incarnation=%d"
                    "</ExtensionsConfig><FullConfig>%s?comp=config&amp;type=fullConfig&amp;incarnation=%d</FullConfig>"
                    "<Certificates>%s?comp=certificates&amp;incarnation=%d</Certificates>"
                    "<ConfigName>vmsnap.0.vmsnap.0._sandbox.1.xml</ConfigName></Configuration></RoleInstance>"
                    "</RoleInstanceList></Container></GoalState>") % (
                    incarnation, CONTAINER, INSTANCE, role, incarnation, role, incarnation, role, incarnation,
                    role, incarnation, role, incarnation))
            if "type=hostingEnvironmentConfig" in path:
                return self.answer(200, (
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><HostingEnvironmentConfig version=\"1.0.0.0\">"
                    "<Deployment name=\"vmsnap-sandbox\" guid=\"{00000000-0000-0000-0000-000000000000}\">"
                    "<Incarnation number=\"1\" instance=\"%s\" guid=\"{00000000-0000-0000-0000-000000000000}\" />"
                    "<Role guid=\"{00000000-0000-0000-0000-000000000000}\" name=\"sandbox\" hostingEnvironment"
                    "Version=\"1\" software=\"\" softwareType=\"\" entryPoint=\"\" parameters=\"\" settleTimeSeconds"
                    "=\"10\" /></Deployment></HostingEnvironmentConfig>") % INSTANCE)
            if "type=sharedConfig" in path or "type=fullConfig" in path:
                return self.answer(200, "<?xml version=\"1.0\" encoding=\"utf-8\"?><SharedConfig version=\"1.0.0.0\"/>")
            if "comp=certificates" in path:
                transport = self.headers.get("x-ms-guest-agent-public-x509-cert")
                if not transport:
                    return self.answer(400)
                return self.answer(200, certificates_xml(goal, transport))
            if "type=extensionsConfig" in path:
                runtime = json.dumps({"runtimeSettings": [{"handlerSettings": goal["settings"]}]})
                plugin = ("<Plugin name=\"%s\" version=\"%s\" location=\"%s/manifest.xml\" failoverlocation=\"%s/"
                          "manifest.xml\" state=\"enabled\" autoUpgrade=\"false\" runAsStartupTask=\"false\" "
                          "isJson=\"true\" useExactVersion=\"true\" />") % (NAME, version, base, base)
                return self.answer(200, (
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><Extensions version=\"1.0.0.0\" "
                    "goalStateIncarnation=\"%d\"><GuestAgentExtension><GAFamilies/></GuestAgentExtension>"
                    "<Plugins>%s</Plugins><PluginSettings><Plugin name=\"%s\" version=\"%s\"><RuntimeSettings "
                    "seqNo=\"%d\">%s</RuntimeSettings></Plugin></PluginSettings><StatusUploadBlob statusBlobType="
                    "\"BlockBlob\">%s/vmstatus?sv=2014-02-14&amp;sig=fake</StatusUploadBlob></Extensions>") % (
                    incarnation, plugin, NAME, version, goal["seqNo"], escape(runtime), base))
            if path == "/manifest.xml":
                return self.answer(200, (
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?><PluginVersionManifest><Plugins><Plugin><Version>%s"
                    "</Version><Uris><Uri>%s/vmsnap.zip</Uri></Uris></Plugin></Plugins><InternalPlugins/>"
                    "</PluginVersionManifest>") % (version, base))
            if path == "/vmsnap.zip":
                with open(goal["zip"], "rb") as f:
                    return self.answer(200, f.read(), "application/zip")
            return self.answer(404)

    return WireServer


def host_plugin_handler(state):
    class HostPlugin(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def answer(self, status, body=b""):
            if isinstance(body, str):
                body = body.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            state.append("requests.log", "hostplugin %s %s %d" % (self.command, self.path, status))

        def do_GET(self):
            if self.path == "/versions":
                return self.answer(200, "[\"2015-09-01\", \"2012-11-30\"]")
            if self.path == "/health":
                return self.answer(200)
            return self.answer(404)

        def do_PUT(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path == "/status":
                request = json.loads(body)
                document = json.loads(base64.b64decode(request["content"]))
                state.append("uploads.jsonl", json.dumps({"time": time.time(), "document": document}))
                return self.answer(200)
            return self.answer(404)

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.answer(200)

    return HostPlugin


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start(address, state_directory):
    """Serves both ports on `address` in daemon threads."""
    state = State(state_directory)
    for port, handler in ((80, wire_handler(state, address)), (32526, host_plugin_handler(state))):
        server = Server((address, port), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
