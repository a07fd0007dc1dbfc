using System.CommandLine;
using Tvp.Server;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp proxy</c>: an OpenAI-compatible reverse proxy that puts the prompt on every image sent to an upstream server.</summary>
internal static class ProxyCommand
{
    public static Command Create()
    {
        var upstream = new Option<string>("--upstream") { Description = "The OpenAI-compatible server's URL (e.g. http://127.0.0.1:8000 for vLLM).", Required = true };
        var prompts = new Option<string[]>("--prompt") { Description = "Prompt file for every model, or MODEL=FILE for one model (repeatable).", Required = true, AllowMultipleArgumentsPerToken = false };
        var remote = new Option<bool>("--fetch-remote-images") { Description = "Fetch http(s) image URLs so they get the prompt too (default: refused)." };
        var upstreamKey = new Option<string?>("--upstream-api-key") { Description = "Send 'Authorization: Bearer KEY' upstream instead of the client's header." };
        var flags = new ServerFlags();
        var cmd = new Command("proxy", "Reverse proxy for OpenAI-compatible servers (vLLM, Ollama, llama.cpp): images in chat requests get the visual prompt; everything else passes unchanged.");
        foreach (var o in new Option[] { upstream, prompts, remote, upstreamKey }) cmd.Options.Add(o);
        flags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var url = r.GetValue(upstream)!;
            if (!Uri.TryCreate(url, UriKind.Absolute, out var up)) throw new ArgumentException($"--upstream {url}: not an absolute URL");
            var options = new ProxyOptions(flags.Parse(r), up, r.GetValue(prompts)!.Select(PromptSpec.Parse).ToArray(),
                r.GetValue(remote), r.GetValue(upstreamKey));
            return ServerFlags.RunUntilStopped(() => ProxyServer.StartAsync(options), "tvp proxy");
        }));
        return cmd;
    }
}
