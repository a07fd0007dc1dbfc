namespace Tvp.Models.Blip2;

/// <summary>Which HF class a Q-Former checkpoint is (config.json <c>model_type</c>).</summary>
internal enum Blip2Kind
{
    /// <summary><c>Blip2ForConditionalGeneration</c> (model_type blip-2).</summary>
    Blip2,
    /// <summary><c>InstructBlipForConditionalGeneration</c> (model_type instructblip): the Q-Former also reads the instruction.</summary>
    InstructBlip,
}
