using System.ClientModel;
using System.Net;
using System.Text.Json.Nodes;
using OpenAI;
using OpenAI.Chat;
using Tvp.Models.Blip2;
using Tvp.Server;
using Tvp.Tests.Cli;

namespace Tvp.Tests.Server;

/// <summary><c>tvp serve</c> runs every multimodal family of the core, not only LLaVA: random BLIP-2 (OPT, Flan-T5) and InstructBLIP checkpoints answer as <c>tvp generate</c> does.</summary>
public sealed class ServeFamiliesTests : IDisposable
{
    private readonly TempDir _tmp = new();
    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData("opt")]
    [InlineData("t5")]
    [InlineData("instructblip")]
    public async Task A_blip2_family_checkpoint_answers_like_tvp_generate(string kind)
    {
        var folder = Path.Combine(_tmp.Path, kind);
        var config = kind switch
        {
            "opt" => Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.Opt),
            "t5" => Blip2CheckpointWriter.TinyConfig(Blip2Kind.Blip2, Blip2CheckpointWriter.TextKind.T5),
            _ => Blip2CheckpointWriter.TinyConfig(Blip2Kind.InstructBlip, Blip2CheckpointWriter.TextKind.Llama),
        };
        Blip2CheckpointWriter.WriteRandom(folder, config, seed: 4, visionSeed: 9);
        var png = ServerTestFiles.Png(40, 36, seed: 5);
        File.WriteAllBytes(_tmp.File("img.png"), png);
        const string question = "what is in the image?";
        var cli = CliRunner.Run("generate", "--model", folder, "--image", _tmp.File("img.png"), "--question", question, "--max-new-tokens", "5", "--json");
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var expected = (string)JsonNode.Parse(cli.Stdout)!["text"]!;

        var host = new HostOptions(new ListenAddress(IPAddress.Loopback, 0), null, new ServerLimits(), LogFormat.Quiet);
        await using var server = await ServeServer.StartAsync(new ServeOptions(host, folder, null, ModelId: kind, MaxTokens: 8));
        var chat = new ChatClient(kind, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "/v1") });
        var message = new UserChatMessage(ChatMessageContentPart.CreateTextPart(question), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(png), "image/png"));
        var reply = (await chat.CompleteChatAsync(new ChatMessage[] { message }, new ChatCompletionOptions { MaxOutputTokenCount = 5 })).Value;
        Assert.Equal(expected, reply.Content.Count == 0 ? "" : reply.Content[0].Text);
        Assert.True(reply.Usage.OutputTokenCount is > 0 and <= 5);
    }
}
