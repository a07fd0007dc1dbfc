using System.Diagnostics;
using System.Text;

namespace Tvp.Experiments;

/// <summary>
/// The exclusive writer lock of a run folder. <c>run.lock</c> is an OS file lock (.NET maps
/// <see cref="FileShare.None"/> to <c>flock(LOCK_EX)</c> on Unix), so the kernel drops it when the owner dies, even
/// by <c>kill -9</c>. <c>run.owner</c> says who holds it (pid and host) and is emptied on a clean release, so an
/// owner file still naming someone when the lock is free means that process died: the lock is taken over with a
/// message. The lock file itself is never deleted (deleting it would let two writers lock two different files).
/// </summary>
internal sealed class RunLock : IDisposable
{
    /// <summary>The lock file's name inside a run folder.</summary>
    public const string FileName = "run.lock";

    /// <summary>The owner file's name inside a run folder (pid and host of the writer).</summary>
    public const string OwnerFileName = "run.owner";

    private readonly FileStream _stream;
    private readonly string _ownerPath;

    private RunLock(FileStream stream, string ownerPath) => (_stream, _ownerPath) = (stream, ownerPath);

    /// <summary>
    /// Takes the lock of <paramref name="folder"/> (which must exist) or throws an <see cref="IOException"/> naming
    /// the process that holds it. <paramref name="onMessage"/> hears about a stale lock taken over.
    /// </summary>
    public static RunLock Acquire(string folder, Action<string>? onMessage = null)
    {
        var path = Path.Combine(folder, FileName);
        var ownerPath = Path.Combine(folder, OwnerFileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new IOException($"{folder} is in use by another tvp run ({Describe(ReadOwner(ownerPath))}); wait for it to finish or choose another --out");
        }
        try
        {
            var previous = ReadOwner(ownerPath);
            if (previous.Length > 0)
                onMessage?.Invoke($"{folder}: taking over a stale lock left by {previous} (that process is no longer running)");
            File.WriteAllText(ownerPath, $"pid {Environment.ProcessId} on {Environment.MachineName}");
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new RunLock(stream, ownerPath);
    }

    /// <summary>Releases the lock (the owner file is emptied first: a clean release, not a stale lock).</summary>
    public void Dispose()
    {
        try { if (File.Exists(_ownerPath)) File.WriteAllText(_ownerPath, ""); }
        catch (IOException) { } // the folder was removed (a failed run cleans up after itself)
        catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }

    private static string ReadOwner(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path).Trim() : ""; }
        catch (IOException) { return ""; }
        catch (UnauthorizedAccessException) { return ""; }
    }

    private static string Describe(string owner) => owner.Length > 0 ? owner : "owner unknown";
}
