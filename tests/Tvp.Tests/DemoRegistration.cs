using System.Runtime.CompilerServices;

namespace Tvp.Tests;

/// <summary>Registers the demo's families once for the test process, as the CLI does at start-up.</summary>
internal static class DemoRegistration
{
    [ModuleInitializer]
    internal static void Register() => Tvp.Demo.DemoFamilies.Register();
}
