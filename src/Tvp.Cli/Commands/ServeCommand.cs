using System.CommandLine;
using Tvp.Server;

namespace Tvp.Cli.Commands;

/// <summary><c>tvp serve</c>: a tvp multimodal model behind the OpenAI chat-completions API (plus <c>/v1/score</c>).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder (LLaVA, with a tokenizer).", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "Prompt file put on every image before the model sees it." };
        var id = new Option<string?>("--model-id") { Description = "The model's name in the API (default: the folder's name)." };
        var queue = new Option<int>("--queue") { Description = "Requests that may wait; one more is answered 429.", DefaultValueFactory = _ => 64 };
        var batch = new Option<int>("--max-batch") { Description = "Generation requests run together.", DefaultValueFactory = _ => 8 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Largest max_tokens accepted (and the default).", DefaultValueFactory = _ => 256 };
        var flags = new ServerFlags();
        var cmd = new Command("serve", "Serve a tvp multimodal model with the OpenAI API: GET /v1/models, POST /v1/chat/completions (greedy, streaming), POST /v1/score, /health, /metrics.");
        foreach (var o in new Option[] { model, prompt, id, queue, batch, maxTokens }) cmd.Options.Add(o);
        flags.AddTo(cmd);
        cmd.SetAction(r => CliAction.Run(() =>
        {
            var options = new ServeOptions(flags.Parse(r), r.GetValue(model)!, r.GetValue(prompt), r.GetValue(id),
                r.GetValue(queue), r.GetValue(batch), r.GetValue(maxTokens));
            return ServerFlags.RunUntilStopped(() => ServeServer.StartAsync(options), "tvp serve");
        }));
        return cmd;
    }
}
