using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Tvp.Models;

/// <summary>
/// The address of a tensor's first element, for kernels that read or write its memory directly. Not
/// <c>storage&lt;T&gt;().data_ptr()</c>: TorchSharp's <c>Storage</c> keeps the tensor's memory alive until the garbage
/// collector finalises it (found with the tensor block cache's counters). TorchSharp has no public accessor for it, so
/// this calls its native library's own function.
/// </summary>
internal static class TensorAddress
{
    /// <summary>The first element's address (storage offset included).</summary>
    public static IntPtr Of(Tensor t) => THSTensor_data(t.Handle);

    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr tensor);
}
