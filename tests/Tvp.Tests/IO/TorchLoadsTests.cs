using TorchSharp;
using static TorchSharp.torch;
namespace Tvp.Tests.IO;
public class TorchLoadsTests
{
    [Fact]
    public void LibTorchLoadsAndRunsBackward()
    {
        var x = torch.tensor(new float[] { 1f, 2f, 3f }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.Equal(new float[] { 2f, 4f, 6f }, x.grad!.data<float>().ToArray());
    }
}
