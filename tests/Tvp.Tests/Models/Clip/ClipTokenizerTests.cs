using System.Text.Json;
using Tvp.IO.Tokenizers;

namespace Tvp.Tests.Models.Clip;

public class ClipTokenizerTests
{
    private static JsonElement Cases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Path("fixtures", "clip-tokenizer", "cases.json")));
        return doc.RootElement.Clone();
    }

    private static readonly Lazy<ClipTokenizer> FromJson = new(() => ClipTokenizer.FromTokenizerJson(SharedData.Path("fixtures", "clip-tokenizer", "tokenizer.json")));
    private static readonly Lazy<ClipTokenizer> FromVocab = new(() => ClipTokenizer.FromVocabAndMerges(
        SharedData.Path("fixtures", "clip-tokenizer", "vocab.json"), SharedData.Path("fixtures", "clip-tokenizer", "merges.txt")));

    private static int[] Ints(JsonElement a) => a.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [SharedTheory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReproducesEveryCase(bool tokenizerJson)
    {
        var tok = tokenizerJson ? FromJson.Value : FromVocab.Value;
        var failures = new List<string>();
        int n = 0;
        foreach (var c in Cases().GetProperty("cases").EnumerateArray())
        {
            n++;
            var name = c.GetProperty("name").GetString();
            var text = c.GetProperty("text").GetString()!;
            var expected = Ints(c.GetProperty("ids"));
            var ids = tok.Encode(text);
            if (!ids.SequenceEqual(expected)) failures.Add($"{name}: got [{string.Join(",", ids)}], expected [{string.Join(",", expected)}]");
            var tokens = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!).ToArray();
            if (!tok.Tokens(ids).SequenceEqual(tokens)) failures.Add($"{name}: tokens differ");
            var decoded = c.GetProperty("decoded").GetString();
            if (tok.Decode(ids) != decoded) failures.Add($"{name}: decoded '{tok.Decode(ids)}', expected '{decoded}'");
            if (c.TryGetProperty("ids_truncated_77", out var t77))
            {
                var cut = tok.EncodeTruncated(text);
                if (!cut.SequenceEqual(Ints(t77))) failures.Add($"{name}: truncated ids differ");
            }
        }
        Assert.Equal(35, n);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void DivergentCasesFollowTokenizerJson()
    {
        var failures = new List<string>();
        foreach (var c in Cases().GetProperty("divergent_cases").EnumerateArray())
        {
            var ids = FromJson.Value.Encode(c.GetProperty("text").GetString()!);
            var expected = Ints(c.GetProperty("ids_hf_tokenizer_json"));
            if (!ids.SequenceEqual(expected))
                failures.Add($"{c.GetProperty("name").GetString()}: got [{string.Join(",", ids)}], expected [{string.Join(",", expected)}]");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void ReproducesHfIntegrationCheck()
    {
        var check = Cases().GetProperty("hf_integration_check");
        var ids = FromJson.Value.Encode(check.GetProperty("text").GetString()!);
        Assert.Equal(Ints(check.GetProperty("ids_without_special_tokens")), ids[1..^1]);
        Assert.Equal(check.GetProperty("decoded").GetString(), FromJson.Value.Decode(ids));
    }

    [SharedFact]
    public void BatchIsTruncatedAndPadded()
    {
        var tok = FromJson.Value;
        var batch = tok.EncodeBatch(new[] { "a photo of a cat", "", string.Join(" ", Enumerable.Repeat("cat", 100)) }, padTo: 77, padId: 0);
        Assert.Equal(77, batch.GetLength(1));
        Assert.Equal(new long[] { 49406, 320, 1125, 539, 320, 2368, 49407, 0 }, Enumerable.Range(0, 8).Select(j => batch[0, j]));
        Assert.Equal(49407, batch[1, 1]);
        Assert.Equal(49407, batch[2, 76]);
        Assert.Equal(2368, batch[2, 75]);
    }

    [Theory]
    [InlineData("e\u0301", "\u00e9")]          // e + combining acute → é (NFC composes)
    [InlineData("\u212b", "\u00e5")]           // Angstrom sign → Å (canonical equivalent), then lower-cased
    [InlineData("A  \t B", "a b")]
    public void NormalizeComposesWithThePlatformsUnicode(string text, string expected) =>
        Assert.Equal(expected, ClipTokenizer.Normalize(text));
}
