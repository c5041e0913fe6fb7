import { z } from "zod";
import { samplesCsvStream } from "@/lib/deployments/export-samples-csv";
import { loadDeploymentOrThrow, sampleIdSchema, sampleModes } from "@/lib/deployments/load-deployment";
import { ApiError } from "@/lib/http/errors";
import { json, route } from "@/lib/http/route";

export const dynamic = "force-dynamic";

const detailQuerySchema = z
  .strictObject({
    format: z.enum(["json", "csv"]).default("json"),
    samples: z.enum(sampleModes).optional(),
    samplesAfter: sampleIdSchema.optional(),
  })
  .superRefine((query, ctx) => {
    if (query.format === "csv" && (query.samples !== undefined || query.samplesAfter !== undefined)) {
      ctx.addIssue({ code: "custom", path: [query.samples !== undefined ? "samples" : "samplesAfter"], message: "the CSV export always has every raw sample" });
    }
    if (query.samplesAfter !== undefined && (query.samples ?? "raw") !== "raw") {
      ctx.addIssue({ code: "custom", path: ["samplesAfter"], message: "only raw samples can be fetched after an id" });
    }
  });

/**
 * One deployment with its steps, evaluations, weight history, samples and incident report.
 * Samples are raw by default (?samplesAfter=<lastSampleId> for only those since), or
 * ?samples=display for the charts' downsampled rows, or ?samples=none; ?format=csv exports the
 * raw samples as CSV.
 */
export const GET = route<{ id: string }, typeof detailQuerySchema>(
  async ({ db, params, query }) => {
    if (query.format === "json") {
      return json(await loadDeploymentOrThrow(db, { id: params.id, samples: query.samples, samplesAfter: query.samplesAfter }));
    }

    const deployment = await db.deployment.findUnique({ where: { id: params.id }, select: { id: true } });
    if (!deployment) throw new ApiError("not_found", `No deployment ${params.id}`);
    return new Response(samplesCsvStream(db, deployment.id), {
      headers: {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="deployment-${deployment.id}-samples.csv"`,
        "cache-control": "no-store",
      },
    });
  },
  { permission: "deployments:read", query: detailQuerySchema },
);
