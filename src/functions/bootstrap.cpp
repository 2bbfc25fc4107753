// The bootstrap every warm python worker runs (python3 -c SCRIPT ...): it
// imports the function's handler once, then serves messages from the
// runner on stdin, each a batch of events, answering each event with one
// message on fd 3 as soon as it is done. A message is "<length>\n<JSON>".
// stdout and stderr are the function's log. A worker serving one job's
// runs starts with that job's credentials and the endpoint in its
// environment (as a Lambda sandbox does); the runner's per-run environment
// also arrives with each message and is laid over the start environment
// in os.environ for that message's events.
//
// boto3 from 1.28 (botocore 1.31) takes its endpoint from AWS_ENDPOINT_URL;
// for older ones (Debian's 1.26) the bootstrap gives clients made without
// an endpoint_url the one in AWS_ENDPOINT_URL_<SERVICE> or AWS_ENDPOINT_URL,
// once botocore.session is imported, so Lambda code that makes its clients
// plainly (boto3.client("s3")) reaches Plumbline with either.
#include "functions/detail/bootstrap.hpp"

namespace plumbline::functions::detail {

const char* const kPythonBootstrap = R"py(
import importlib, importlib.util, json, os, resource, signal, sys, time, traceback

code_dir, handler, name, memory, arn = sys.argv[1:6]


def endpoint_from_env(session_module):
    import botocore
    try:
        version = tuple(int(part) for part in botocore.__version__.split(".")[:2])
    except ValueError:
        return
    if version >= (1, 31):
        return  # it reads AWS_ENDPOINT_URL itself
    create_client = session_module.Session.create_client

    def create_client_with_endpoint(self, service_name, *args, **kwargs):
        if len(args) < 5 and kwargs.get("endpoint_url") is None:
            service = service_name.upper().replace("-", "_").replace(" ", "_")
            url = os.environ.get("AWS_ENDPOINT_URL_" + service) or os.environ.get("AWS_ENDPOINT_URL")
            if url:
                kwargs["endpoint_url"] = url
        return create_client(self, service_name, *args, **kwargs)

    session_module.Session.create_client = create_client_with_endpoint


class EndpointHook:
    # Runs endpoint_from_env on botocore.session right after it is imported.
    def find_spec(self, fullname, path, target=None):
        if fullname != "botocore.session":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module):
            exec_module(module)
            endpoint_from_env(module)

        spec.loader.exec_module = exec_and_patch
        return spec


sys.meta_path.insert(0, EndpointHook())
sys.path.insert(0, code_dir)
os.chdir(code_dir)
requests = sys.stdin.buffer
replies = os.fdopen(3, "wb")


class Context:
    def __init__(self, request_id, deadline_ms):
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = memory
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "plumbline/" + str(os.getpid())
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


class TimedOut(BaseException):
    pass


class CpuExceeded(BaseException):
    pass


def on_alarm(signum, frame):
    raise TimedOut()


def on_xcpu(signum, frame):
    raise CpuExceeded()


signal.signal(signal.SIGALRM, on_alarm)
signal.signal(signal.SIGXCPU, on_xcpu)
_, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)


def limit_cpu(seconds):
    # A soft limit this many CPU seconds from now (None: none); the worker
    # is warm, so the limit counts from what it has used so far.
    if seconds is None:
        soft = cpu_hard
    else:
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime) + int(seconds) + 1
        if cpu_hard != resource.RLIM_INFINITY:
            soft = min(soft, cpu_hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))

function = None
load_error = None
module_name, _, function_name = handler.rpartition(".")
try:
    if not module_name:
        raise ValueError("Bad handler '%s': it must be module.function" % handler)
    module = importlib.import_module(module_name.replace("/", "."))
    function = getattr(module, function_name, None)
    if function is None:
        load_error = {"errorMessage": "Handler '%s' missing on module '%s'" % (function_name, module_name),
                      "errorType": "Runtime.HandlerNotFound"}
except Exception as e:
    traceback.print_exc()
    load_error = {"errorMessage": "Unable to import module '%s': %s" % (module_name, e),
                  "errorType": "Runtime.ImportModuleError"}


def send(reply):
    try:
        data = json.dumps(reply).encode()
    except Exception as e:
        data = json.dumps({"id": reply["id"], "error": {
            "errorMessage": "Unable to marshal response: %s" % e,
            "errorType": "Runtime.MarshalError"}}).encode()
    replies.write(b"%d\n" % len(data) + data)
    replies.flush()


def error_of(e):
    return {"errorMessage": str(e), "errorType": type(e).__name__,
            "stackTrace": traceback.format_tb(e.__traceback__)}


# Ready: the runner's per-event deadlines start only now, so a slow start
# (an interpreter shim, a busy machine, a heavy import) is not a timeout.
send({"id": "", "ready": True})

start_env = dict(os.environ)
while True:
    header = requests.readline()
    if not header:
        break
    size = int(header)
    body = requests.read(size)
    if len(body) != size:
        break
    message = json.loads(body)
    env = dict(start_env)
    env.update(message.get("env", {}))
    for key in [k for k in os.environ if k not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    timeout_ms = message["timeout_ms"]
    for call in message["calls"]:
        request_id = call["id"]
        started = time.time()
        print("START RequestId: %s Version: $LATEST" % request_id, flush=True)
        if load_error is not None:
            reply = {"id": request_id, "error": load_error}
        else:
            context = Context(request_id, started * 1000 + timeout_ms)
            limit_cpu(timeout_ms / 1000.0)
            signal.setitimer(signal.ITIMER_REAL, timeout_ms / 1000.0)
            try:
                result = function(call["event"], context)
                signal.setitimer(signal.ITIMER_REAL, 0)
                limit_cpu(None)
                reply = {"id": request_id, "result": result}
            except TimedOut:
                limit_cpu(None)
                reply = {"id": request_id, "error": {
                    "errorMessage": "Task timed out after %.2f seconds" % (timeout_ms / 1000.0),
                    "errorType": "Timeout"}}
            except CpuExceeded:
                signal.setitimer(signal.ITIMER_REAL, 0)
                limit_cpu(None)
                reply = {"id": request_id, "error": {
                    "errorMessage": "Function %s used more than %.2f seconds of CPU time" %
                                    (name, timeout_ms / 1000.0),
                    "errorType": "Timeout"}}
            except MemoryError:
                # Out of its MemorySize: the worker's heap may be in any
                # state, so it answers and ends; the runner starts another.
                signal.setitimer(signal.ITIMER_REAL, 0)
                traceback.print_exc(file=sys.stdout)
                send({"id": request_id, "error": {
                    "errorMessage": "Function %s ran out of memory: it tried to use more than "
                                    "its MemorySize of %s MB" % (name, memory),
                    "errorType": "Runtime.OutOfMemory"}})
                print("REPORT RequestId: %s\tMemory Size: %s MB\tout of memory" %
                      (request_id, memory), flush=True)
                sys.exit(1)
            except SystemExit as e:
                signal.setitimer(signal.ITIMER_REAL, 0)
                send({"id": request_id, "error": {
                    "errorMessage": "The handler exited (status %s)" % e.code,
                    "errorType": "Runtime.ExitError"}})
                sys.exit(1)
            except BaseException as e:
                signal.setitimer(signal.ITIMER_REAL, 0)
                print("[ERROR] %s: %s" % (type(e).__name__, e), flush=True)
                traceback.print_exc(file=sys.stdout)
                reply = {"id": request_id, "error": error_of(e)}
        send(reply)
        print("END RequestId: %s" % request_id, flush=True)
        print("REPORT RequestId: %s\tDuration: %.2f ms\tMemory Size: %s MB" %
              (request_id, (time.time() - started) * 1000, memory), flush=True)
)py";

}  // namespace plumbline::functions::detail
