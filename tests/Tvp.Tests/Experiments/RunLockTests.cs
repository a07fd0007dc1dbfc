using System.Diagnostics;
using Tvp.Experiments;
using Tvp.Training;

namespace Tvp.Tests.Experiments;

public class RunLockTests
{
    [Fact]
    public void ASecondWriterOnTheSameRunFolderFailsAtOnce()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "run");
        var (first, _) = RunFolder.Open(path, new TvpOptions(), resume: false);
        using (first)
        {
            Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(Path.Combine(path, RunLock.OwnerFileName)));
            var e = Assert.Throws<IOException>(() => RunFolder.Open(path, new TvpOptions(), resume: false, overwrite: true));
            Assert.Contains("in use by another tvp run", e.Message);
            Assert.Contains($"pid {Environment.ProcessId}", e.Message);
        }
        Assert.Equal("", File.ReadAllText(Path.Combine(path, RunLock.OwnerFileName))); // a clean release
        var (again, _) = RunFolder.Open(path, new TvpOptions(), resume: false, overwrite: true);
        again.Dispose();
    }

    [Fact]
    public void ALockHeldByAnotherProcessIsRespected()
    {
        if (!File.Exists("/usr/bin/flock")) return; // util-linux; present on every Debian/Ubuntu
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(path);
        var lockFile = Path.Combine(path, RunLock.FileName);
        File.WriteAllText(Path.Combine(path, RunLock.OwnerFileName), "pid 999999 on elsewhere");
        var psi = new ProcessStartInfo("/usr/bin/flock", new[] { "-x", lockFile, "sleep", "30" });
        using var holder = Process.Start(psi)!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            IOException? refused = null;
            while (refused is null && DateTime.UtcNow < deadline)
            {
                // until flock(1) holds the lock, Open succeeds (and rewrites the owner file, so write it back)
                try { RunFolder.Open(path, new TvpOptions(), resume: false, overwrite: true).Run.Dispose(); File.WriteAllText(Path.Combine(path, RunLock.OwnerFileName), "pid 999999 on elsewhere"); Thread.Sleep(100); }
                catch (IOException e) { refused = e; }
            }
            Assert.NotNull(refused);
            Assert.Contains("pid 999999 on elsewhere", refused!.Message);
        }
        finally { holder.Kill(); holder.WaitForExit(); }
    }

    [Fact]
    public void AStaleLockOfADeadProcessIsTakenOverWithAMessage()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, RunLock.OwnerFileName), "pid 4242 on deadhost");
        var messages = new List<string>();
        var (run, _) = RunFolder.Open(path, new TvpOptions(), resume: false, onMessage: messages.Add);
        using (run)
        {
            var m = Assert.Single(messages);
            Assert.Contains("stale lock", m);
            Assert.Contains("pid 4242 on deadhost", m);
            Assert.Contains($"pid {Environment.ProcessId}", File.ReadAllText(Path.Combine(path, RunLock.OwnerFileName)));
        }
    }
}
