using System.Text;
using Cinnabar.Lua;

namespace Cinnabar.Tests.Lua;

internal static class LuaTestHelper
{
    public static LuaState NewState()
    {
        var L = new LuaState();
        L.OpenLibraries();
        return L;
    }

    /// <summary>Runs a chunk named "@user_script" and renders its results: values joined by ',', tables as {..} (array part), errors as "ERR msg".</summary>
    public static string Run(string script, LuaState? state = null)
    {
        var L = state ?? NewState();
        try
        {
            var f = L.Load(Encoding.UTF8.GetBytes(script), "@user_script");
            var r = L.CallMulti(f, default);
            return string.Join(",", r.Select(Render));
        }
        catch (LuaSyntaxException e) { return "SYNERR " + e.Message; }
        catch (LuaRuntimeException e) { return "ERR " + e.Message; }
    }

    public static string Render(LuaValue v) => v.Type switch
    {
        LuaType.Nil => "nil",
        LuaType.Boolean => v.AsBoolean ? "true" : "false",
        LuaType.Number => LuaState.NumberToString(v.AsNumber),
        LuaType.String => v.AsString.ToString(),
        LuaType.Table => "{" + string.Join(",", Array(v.AsTable)) + "}",
        _ => v.Type.ToString().ToLowerInvariant(),
    };

    private static IEnumerable<string> Array(LuaTable t)
    {
        for (int i = 1; i <= t.Length; i++) yield return Render(t.RawGet(i));
    }
}
