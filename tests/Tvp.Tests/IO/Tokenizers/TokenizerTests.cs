using System.Text;
using Tvp.IO.Tokenizers;
using Tvp.Models.Llava;

namespace Tvp.Tests.IO.Tokenizers;

/// <summary>tokenizer.json (Rust tokenizers via Tokenizers.DotNet) and SentencePiece tokenizer.model (Microsoft.ML.Tokenizers), built locally.</summary>
public class TokenizerTests
{
    /// <summary>A minimal SentencePiece BPE ModelProto, written field by field (sentencepiece_model.proto).</summary>
    internal static byte[] SentencePieceModel((string Piece, float Score, int Type)[] pieces)
    {
        var model = new MemoryStream();
        foreach (var (piece, score, type) in pieces)
        {
            var p = new MemoryStream();
            Bytes(p, 1, Encoding.UTF8.GetBytes(piece));
            Key(p, 2, 5); p.Write(BitConverter.GetBytes(score));
            Key(p, 3, 0); Varint(p, (ulong)type);
            Bytes(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        Key(trainer, 3, 0); Varint(trainer, 2);                                  // model_type = BPE
        Key(trainer, 4, 0); Varint(trainer, (ulong)pieces.Length);              // vocab_size
        Key(trainer, 40, 0); Varint(trainer, 0);                                 // unk_id
        Key(trainer, 41, 0); Varint(trainer, 1);                                 // bos_id
        Key(trainer, 42, 0); Varint(trainer, 2);                                 // eos_id
        Key(trainer, 43, 0); Varint(trainer, unchecked((ulong)-1L));             // pad_id = -1
        Bytes(model, 2, trainer.ToArray());
        var norm = new MemoryStream();
        Bytes(norm, 1, Encoding.UTF8.GetBytes("identity"));
        Key(norm, 3, 0); Varint(norm, 1);                                        // add_dummy_prefix
        Key(norm, 4, 0); Varint(norm, 0);                                        // remove_extra_whitespaces
        Key(norm, 5, 0); Varint(norm, 1);                                        // escape_whitespaces
        Bytes(model, 3, norm.ToArray());
        return model.ToArray();
    }

    private static void Key(Stream s, int field, int wire) => Varint(s, (ulong)((field << 3) | wire));
    private static void Varint(Stream s, ulong v) { while (v >= 0x80) { s.WriteByte((byte)(v | 0x80)); v >>= 7; } s.WriteByte((byte)v); }
    private static void Bytes(Stream s, int field, byte[] b) { Key(s, field, 2); Varint(s, (ulong)b.Length); s.Write(b); }

    [Fact]
    public void SentencePiece_model_encodes_with_bos_from_the_config_and_decodes()
    {
        using var tmp = new TempDir();
        const int Normal = 1, Unknown = 2, Control = 3;
        var pieces = new (string, float, int)[]
        {
            ("<unk>", 0, Unknown), ("<s>", 0, Control), ("</s>", 0, Control),
            ("▁cat", -1, Normal), ("▁dog", -2, Normal), ("▁a", -3, Normal), ("at", -4, Normal), ("▁c", -5, Normal), ("▁d", -6, Normal), ("og", -7, Normal),
            ("▁", -8, Normal), ("a", -9, Normal), ("c", -10, Normal), ("d", -11, Normal), ("g", -12, Normal), ("o", -13, Normal), ("t", -14, Normal),
        };
        File.WriteAllBytes(tmp.File("tokenizer.model"), SentencePieceModel(pieces));
        File.WriteAllText(tmp.File("config.json"), """{"model_type":"llama","bos_token_id":1,"eos_token_id":2}""");
        using var tok = TextTokenizer.TryLoad(tmp.Path)!;
        Assert.IsType<SentencePieceTextTokenizer>(tok);
        Assert.Equal(new[] { 1, 5, 3 }, tok.Encode("a cat", addBos: true));
        Assert.Equal(new[] { 4, 5 }, tok.Encode("dog a", addBos: false));
        Assert.Equal(2, tok.Special.Eos);
        Assert.Equal("a cat", tok.Decode(new[] { 1, 5, 3, 2 }).Trim());
    }

    [Fact]
    public void Tokenizer_json_strips_and_restores_bos_as_asked()
    {
        using var tmp = new TempDir();
        var config = LlavaCheckpointWriter.TinyConfig();
        File.WriteAllText(tmp.File("config.json"), System.Text.Json.JsonSerializer.Serialize(config.ToJson()));
        LlavaCheckpointWriter.WriteTokenizer(tmp.Path, config, new[] { "mushroom" });
        using var tok = TextTokenizer.TryLoad(tmp.Path)!;
        Assert.IsType<HfJsonTokenizer>(tok);
        var withBos = tok.Encode("A Mushroom, a cat.", addBos: true);
        var without = tok.Encode("A Mushroom, a cat.", addBos: false);
        Assert.Equal(1, withBos[0]);
        Assert.Equal(withBos[1..], without);
        Assert.Equal(6, without.Length);                         // a mushroom , a cat .
        Assert.DoesNotContain(0, without);                       // every word is known (no <unk>)
        Assert.Equal("a mushroom , a cat .", tok.Decode(withBos));
        Assert.Equal(new[] { 0 }, tok.Encode("zebra", addBos: false));  // unknown word → <unk>
    }

    [Fact]
    public void A_folder_without_tokenizer_gives_null_and_a_broken_one_a_clear_error()
    {
        using var tmp = new TempDir();
        Assert.Null(TextTokenizer.TryLoad(tmp.Path));
        File.WriteAllText(tmp.File("tokenizer.json"), "{ not json");
        var e = Assert.Throws<InvalidDataException>(() => TextTokenizer.TryLoad(tmp.Path));
        Assert.Contains("tokenizer.json", e.Message);
    }
}
