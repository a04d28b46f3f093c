namespace Cinnabar.EndToEnd.Infrastructure;

/// <summary>Compares commands on a <see cref="DiffPair"/>, keeping the history so a failure of a random sequence shows how the state was reached.</summary>
public sealed class CommandRecorder(DiffPair p, List<string> history)
{
    public string Same(params string[] args)
    {
        history.Add(string.Join(' ', args));
        try { return p.Same(args); }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\nhistory:\n" + string.Join("\n", history));
        }
    }

    /// <summary>Compares with integers masked (delivery and seen times).</summary>
    public void Masked(params string[] args)
    {
        history.Add(string.Join(' ', args));
        static string Mask(string r) => System.Text.RegularExpressions.Regex.Replace(r, @":\d+\r\n", ":N\r\n");
        try
        {
            var expected = Mask(p.Redis.Call(args));
            var actual = Mask(p.Ours.Call(args));
            Assert.True(expected == actual, $"reply differs for: {string.Join(' ', args)}\n  redis:    {DiffPair.Escape(expected)}\n  cinnabar: {DiffPair.Escape(actual)}");
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException(e.Message + "\nhistory:\n" + string.Join("\n", history));
        }
    }
}
