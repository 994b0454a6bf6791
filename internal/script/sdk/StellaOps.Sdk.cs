// StellaOps.Sdk: the runtime of a Stella deployment script (deploy.stella.csx), C# 7 for Mono's mcs.
// Stella compiles this file into StellaOps.Sdk.dll and ships it in the artifact set next to the compiled
// script. Hooks run in order; a failing command, health check or notification stops the script with the
// hook's name, and the process exits with the failing command's status (1 for other failures).
//
// Runtime environment (set by `stella run-script` or the agent):
//   STELLA_SET_DIR          the artifact set's directory (holds compose.stella.lock.yml); default: the
//                           directory of the compiled script
//   STELLA_HEALTH_BASE_URL  base of a relative health check target ("/ready"); default http://localhost
//   STELLA_NOTIFY_<CHANNEL> webhook URL of a notification channel (STELLA_NOTIFY_SLACK for "slack"); a
//                           channel that is itself an http(s) URL is posted to directly
//   STELLA_PREVIOUS_LOCK    the previous deployment's lock file, for rollback
//   STELLA_PHASE            preDeploy or postDeploy: run only that hook, and not the deploy step (the
//                           agent deploys with its own Compose driver between the two)
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Reflection;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

[assembly: AssemblyTitle("StellaOps.Sdk")]
[assembly: AssemblyVersion("1.0.0.0")]

namespace StellaOps.Sdk
{
    /// <summary>A hook, a command or a check failed; ExitCode is the process exit status to use.</summary>
    public class HookFailedException : Exception
    {
        public string Hook { get; private set; }
        public int ExitCode { get; private set; }

        public HookFailedException(string hook, int exitCode, string message) : base(message)
        {
            Hook = hook;
            ExitCode = exitCode;
        }
    }

    /// <summary>What the generated entry point fixes at generation time.</summary>
    public sealed class Settings
    {
        public string ProjectName = "stella";
        public string[] ComposeCommand = new[] { "docker", "compose" };
        public string Strategy = "all-at-once";
        public int BatchSize = 0;
        public string OnFailure = "rollback";
        public string DeploymentId = "";
    }

    /// <summary>The deployment: its hooks and the deploy step, in the order the script calls them.</summary>
    public static class Context
    {
        static Settings settings = new Settings();

        public static Settings Settings { get { return settings; } }

        public static string SetDirectory
        {
            get
            {
                var d = Environment.GetEnvironmentVariable("STELLA_SET_DIR");
                if (!string.IsNullOrEmpty(d))
                    return d;
                return Path.GetDirectoryName(Path.GetFullPath(Assembly.GetEntryAssembly().Location));
            }
        }

        public static Task RunPreDeployHook(Func<HookContext, Task> hook)
        {
            return RunHook("preDeploy", hook);
        }

        public static Task RunPostDeployHook(Func<HookContext, Task> hook)
        {
            return RunHook("postDeploy", hook);
        }

        static string Phase { get { return Environment.GetEnvironmentVariable("STELLA_PHASE") ?? ""; } }

        static async Task RunHook(string name, Func<HookContext, Task> hook)
        {
            if (Phase != "" && Phase != name)
                return;
            Log("stella: hook " + name);
            var ctx = new HookContext(name);
            try
            {
                await hook(ctx);
            }
            catch (HookFailedException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw new HookFailedException(name, 1, "hook " + name + " failed: " + e.Message);
            }
        }

        /// <summary>Runs COMPOSE [--env-file stella.env] -f compose.stella.lock.yml -p PROJECT up -d in the
        /// set's directory; the env file (the environment's variables) when the set has one.</summary>
        public static async Task Deploy()
        {
            if (Phase != "")
                return;
            var args = new List<string>();
            for (int i = 1; i < settings.ComposeCommand.Length; i++)
                args.Add(settings.ComposeCommand[i]);
            if (File.Exists(Path.Combine(SetDirectory, "stella.env")))
                args.AddRange(new[] { "--env-file", "stella.env" });
            args.AddRange(new[] { "-f", "compose.stella.lock.yml", "-p", settings.ProjectName, "up", "-d" });
            Log("stella: deploy: " + string.Join(" ", settings.ComposeCommand) + " " + string.Join(" ", args));
            int status = await Exec.Run(settings.ComposeCommand[0], args, SetDirectory, 0);
            if (status != 0)
                throw new HookFailedException("deploy", status, "deploy failed with exit status " + status);
        }

        internal static void Log(string line)
        {
            Console.Error.WriteLine(line);
            Console.Error.Flush();
        }

        /// <summary>Runs the script's body and returns the process exit status.</summary>
        public static int Main(Func<Task> body, Settings s)
        {
            settings = s;
            try
            {
                body().GetAwaiter().GetResult();
                return 0;
            }
            catch (HookFailedException e)
            {
                Log("stella: " + e.Message);
                Log("stella: hook " + e.Hook + " failed with exit status " + e.ExitCode);
                return e.ExitCode;
            }
            catch (Exception e)
            {
                Log("stella: script failed: " + e.Message);
                return 1;
            }
        }
    }

    /// <summary>What a hook can do: run commands, wait for health, notify.</summary>
    public sealed class HookContext
    {
        public string Hook { get; private set; }

        internal HookContext(string hook)
        {
            Hook = hook;
        }

        /// <summary>Runs command with /bin/sh -c in the current directory; a non-zero exit fails the hook.
        /// timeout is in seconds (0: none).</summary>
        public async Task ExecuteCommand(string command, int timeout = 0)
        {
            Context.Log("stella: " + Hook + ": run: " + command);
            int status = await Exec.Run("/bin/sh", new[] { "-c", command }, null, timeout);
            if (status != 0)
                throw new HookFailedException(Hook, status, "command \"" + command + "\" exited with status " + status);
        }

        /// <summary>Waits until target answers GET with 2xx/3xx (an http(s) URL, or a path relative to
        /// STELLA_HEALTH_BASE_URL) within timeout seconds, retrying every interval seconds.</summary>
        public async Task HealthCheck(string target, int timeout = 30, int retries = 0, int interval = 1)
        {
            string url = target;
            if (!target.StartsWith("http://") && !target.StartsWith("https://"))
            {
                var b = Environment.GetEnvironmentVariable("STELLA_HEALTH_BASE_URL");
                if (string.IsNullOrEmpty(b))
                    b = "http://localhost";
                url = b.TrimEnd('/') + "/" + target.TrimStart('/');
            }
            Context.Log("stella: " + Hook + ": health check " + url);
            var deadline = DateTime.UtcNow.AddSeconds(timeout);
            int attempt = 0;
            string last = "";
            while (true)
            {
                attempt++;
                try
                {
                    var req = (HttpWebRequest)WebRequest.Create(url);
                    req.Method = "GET";
                    req.AllowAutoRedirect = false;
                    req.Timeout = Math.Max(1000, (int)(deadline - DateTime.UtcNow).TotalMilliseconds);
                    using (var resp = (HttpWebResponse)await req.GetResponseAsync())
                    {
                        int code = (int)resp.StatusCode;
                        if (code >= 200 && code < 400)
                            return;
                        last = "status " + code;
                    }
                }
                catch (WebException e)
                {
                    var r = e.Response as HttpWebResponse;
                    last = r != null ? "status " + (int)r.StatusCode : e.Message;
                }
                if (retries > 0 && attempt > retries)
                    break;
                await Task.Delay(TimeSpan.FromSeconds(interval));
                if (DateTime.UtcNow >= deadline)
                    break;
            }
            throw new HookFailedException(Hook, 1, "health check " + url + " did not pass after " + attempt + " attempts: " + last);
        }

        /// <summary>Posts {"message": ...} as JSON to the channel's webhook (STELLA_NOTIFY_CHANNEL, or the
        /// channel itself when it is an http(s) URL).</summary>
        public async Task Notify(string channel, string message)
        {
            string url = channel;
            if (!channel.StartsWith("http://") && !channel.StartsWith("https://"))
            {
                var name = "STELLA_NOTIFY_" + channel.ToUpperInvariant().Replace('-', '_');
                url = Environment.GetEnvironmentVariable(name);
                if (string.IsNullOrEmpty(url))
                    throw new HookFailedException(Hook, 1, "notify " + channel + ": no webhook URL (set " + name + ")");
            }
            Context.Log("stella: " + Hook + ": notify " + channel);
            var body = "{\"channel\":" + Json(channel) + ",\"deploymentId\":" + Json(Context.Settings.DeploymentId) +
                ",\"hook\":" + Json(Hook) + ",\"message\":" + Json(message) + ",\"project\":" + Json(Context.Settings.ProjectName) + "}";
            try
            {
                var req = (HttpWebRequest)WebRequest.Create(url);
                req.Method = "POST";
                req.ContentType = "application/json";
                req.Timeout = 30000;
                var bytes = Encoding.UTF8.GetBytes(body);
                using (var s = await req.GetRequestStreamAsync())
                    await s.WriteAsync(bytes, 0, bytes.Length);
                using (var resp = (HttpWebResponse)await req.GetResponseAsync())
                {
                    int code = (int)resp.StatusCode;
                    if (code < 200 || code >= 300)
                        throw new HookFailedException(Hook, 1, "notify " + channel + ": status " + code);
                }
            }
            catch (WebException e)
            {
                throw new HookFailedException(Hook, 1, "notify " + channel + ": " + e.Message);
            }
        }

        static string Json(string s)
        {
            var b = new StringBuilder("\"");
            foreach (var c in s ?? "")
            {
                if (c == '"' || c == '\\') b.Append('\\').Append(c);
                else if (c < ' ') b.AppendFormat("\\u{0:x4}", (int)c);
                else b.Append(c);
            }
            return b.Append('"').ToString();
        }
    }

    static class Exec
    {
        /// <summary>Runs file with args, its output streamed to ours; returns the exit status.</summary>
        public static Task<int> Run(string file, IEnumerable<string> args, string dir, int timeout)
        {
            return Task.Run(() =>
            {
                var psi = new ProcessStartInfo(file, Quote(args));
                psi.UseShellExecute = false;
                if (dir != null)
                    psi.WorkingDirectory = dir;
                using (var p = Process.Start(psi))
                {
                    if (timeout > 0)
                    {
                        if (!p.WaitForExit(timeout * 1000))
                        {
                            try { p.Kill(); } catch (InvalidOperationException) { }
                            p.WaitForExit();
                            return 124;
                        }
                    }
                    p.WaitForExit();
                    return p.ExitCode;
                }
            });
        }

        // Quote joins args for ProcessStartInfo.Arguments, which Mono splits like the Windows command line.
        static string Quote(IEnumerable<string> args)
        {
            var b = new StringBuilder();
            foreach (var a in args)
            {
                if (b.Length > 0) b.Append(' ');
                b.Append('"');
                int slashes = 0;
                foreach (var c in a)
                {
                    if (c == '\\') { slashes++; continue; }
                    if (c == '"') { b.Append('\\', slashes * 2 + 1); b.Append('"'); }
                    else { b.Append('\\', slashes); b.Append(c); }
                    slashes = 0;
                }
                b.Append('\\', slashes * 2);
                b.Append('"');
            }
            return b.ToString();
        }
    }
}
