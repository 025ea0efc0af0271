using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Disco.Geo.Engine;
using Disco.Geo.Sphere.Models;

namespace Disco.Geo.Engine.Tests.Runtime;

/// <summary>
/// No product code converts a number to a TorchSharp <c>Scalar</c> implicitly (<c>x * 2.0</c>, <c>clamp(x, 0, 1)</c>):
/// such a Scalar is owned by nothing once the native call starts, so a collection during the call frees it while
/// libtorch reads it (a crash "INTERNAL ASSERT FAILED at c10/core/Scalar.h", or wrong numbers). Scalars are made once
/// and held (<c>Runtime.Scalars</c>), and tensor math with constants goes through them. This reads the compiled IL, so
/// an operator or a default argument that converts behind the source's back is caught too.
/// </summary>
public sealed class ImplicitScalarRuleTests
{
    [Fact]
    public void Product_assemblies_never_call_the_implicit_scalar_conversion()
    {
        string[] assemblies = [typeof(SphereModel).Assembly.Location, typeof(EngineInputException).Assembly.Location];
        string[] callers = assemblies.SelectMany(ImplicitScalarCallers).ToArray();
        Assert.True(callers.Length == 0, "implicit TorchSharp Scalar conversions (hold a Scalar instead):\n" + string.Join("\n", callers));
    }

    [Fact]
    public void The_rule_finds_an_implicit_conversion_where_there_is_one()
    {
        // This test assembly converts implicitly on purpose below, so the scan is known to see such calls.
        Assert.Contains(ImplicitScalarCallers(typeof(ImplicitScalarRuleTests).Assembly.Location), c => c.EndsWith("::" + nameof(Converts), StringComparison.Ordinal));
    }

    private static TorchSharp.Scalar Converts() => 2.0;

    /// <summary>"Type::Method" of every method body in the assembly that calls <c>TorchSharp.Scalar.op_Implicit</c>.</summary>
    private static IEnumerable<string> ImplicitScalarCallers(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        var conversions = new HashSet<int>();
        foreach (MemberReferenceHandle handle in metadata.MemberReferences)
        {
            MemberReference member = metadata.GetMemberReference(handle);
            if (metadata.GetString(member.Name) != "op_Implicit" || member.Parent.Kind != HandleKind.TypeReference)
            {
                continue;
            }

            TypeReference type = metadata.GetTypeReference((TypeReferenceHandle)member.Parent);
            if (metadata.GetString(type.Namespace) == "TorchSharp" && metadata.GetString(type.Name) == "Scalar")
            {
                conversions.Add(MetadataTokens.GetToken(handle));
            }
        }

        var callers = new List<string>();
        foreach (TypeDefinitionHandle typeHandle in metadata.TypeDefinitions)
        {
            TypeDefinition type = metadata.GetTypeDefinition(typeHandle);
            foreach (MethodDefinitionHandle methodHandle in type.GetMethods())
            {
                MethodDefinition method = metadata.GetMethodDefinition(methodHandle);
                if (method.RelativeVirtualAddress != 0 && Calls(pe.GetMethodBody(method.RelativeVirtualAddress), conversions))
                {
                    callers.Add($"{metadata.GetString(type.Namespace)}.{metadata.GetString(type.Name)}::{metadata.GetString(method.Name)}");
                }
            }
        }

        return callers;
    }

    private static bool Calls(MethodBodyBlock body, HashSet<int> targets)
    {
        BlobReader il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            ILOpCode opCode = ReadOpCode(ref il);
            if (opCode is ILOpCode.Call or ILOpCode.Callvirt or ILOpCode.Newobj)
            {
                if (targets.Contains(il.ReadInt32()))
                {
                    return true;
                }
            }
            else
            {
                SkipOperand(ref il, opCode);
            }
        }

        return false;
    }

    private static ILOpCode ReadOpCode(ref BlobReader il)
    {
        byte first = il.ReadByte();
        return first == 0xFE ? (ILOpCode)(0xFE00 | il.ReadByte()) : (ILOpCode)first;
    }

    // Operand sizes per ECMA-335 III; a switch carries a count and that many 4-byte targets.
    private static void SkipOperand(ref BlobReader il, ILOpCode opCode)
    {
        switch (opCode)
        {
            case ILOpCode.Switch:
                il.Offset += 4 * (int)il.ReadUInt32();
                break;
            case ILOpCode.Ldarg_s or ILOpCode.Ldarga_s or ILOpCode.Starg_s or ILOpCode.Ldloc_s or ILOpCode.Ldloca_s or ILOpCode.Stloc_s
                or ILOpCode.Ldc_i4_s or ILOpCode.Unaligned or ILOpCode.Br_s or ILOpCode.Brfalse_s or ILOpCode.Brtrue_s or ILOpCode.Beq_s
                or ILOpCode.Bge_s or ILOpCode.Bgt_s or ILOpCode.Ble_s or ILOpCode.Blt_s or ILOpCode.Bne_un_s or ILOpCode.Bge_un_s
                or ILOpCode.Bgt_un_s or ILOpCode.Ble_un_s or ILOpCode.Blt_un_s or ILOpCode.Leave_s:
                il.Offset += 1;
                break;
            case ILOpCode.Ldarg or ILOpCode.Ldarga or ILOpCode.Starg or ILOpCode.Ldloc or ILOpCode.Ldloca or ILOpCode.Stloc:
                il.Offset += 2;
                break;
            case ILOpCode.Ldc_i8 or ILOpCode.Ldc_r8:
                il.Offset += 8;
                break;
            default:
                il.Offset += OperandIsFourBytes(opCode) ? 4 : 0;
                break;
        }
    }

    private static bool OperandIsFourBytes(ILOpCode opCode) => opCode switch
    {
        ILOpCode.Ldc_i4 or ILOpCode.Ldc_r4 or ILOpCode.Br or ILOpCode.Brfalse or ILOpCode.Brtrue or ILOpCode.Beq or ILOpCode.Bge
            or ILOpCode.Bgt or ILOpCode.Ble or ILOpCode.Blt or ILOpCode.Bne_un or ILOpCode.Bge_un or ILOpCode.Bgt_un or ILOpCode.Ble_un
            or ILOpCode.Blt_un or ILOpCode.Leave or ILOpCode.Jmp or ILOpCode.Calli or ILOpCode.Ldstr or ILOpCode.Ldfld or ILOpCode.Ldflda
            or ILOpCode.Stfld or ILOpCode.Ldsfld or ILOpCode.Ldsflda or ILOpCode.Stsfld or ILOpCode.Ldtoken or ILOpCode.Ldftn
            or ILOpCode.Ldvirtftn or ILOpCode.Box or ILOpCode.Unbox or ILOpCode.Unbox_any or ILOpCode.Castclass or ILOpCode.Isinst
            or ILOpCode.Newarr or ILOpCode.Ldelema or ILOpCode.Ldelem or ILOpCode.Stelem or ILOpCode.Ldobj or ILOpCode.Stobj
            or ILOpCode.Cpobj or ILOpCode.Initobj or ILOpCode.Mkrefany or ILOpCode.Refanyval or ILOpCode.Sizeof or ILOpCode.Constrained => true,
        _ => false,
    };
}
