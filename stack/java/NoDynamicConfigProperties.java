package local.stack;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * Stands in for Apicurio's config-index Quarkus extension, whose build-time half
 * (apicurio-common-app-components-config-index-deployment 0.1.18.Final) Maven Central does not serve.
 * That extension only lists the properties an admin may change at run time through the registry's
 * admin API; with none listed, every property keeps its value from the command line, which is all
 * the local stack needs. Compiled into the registry by stack/schemaRegistryBuild.ts.
 */
public class NoDynamicConfigProperties {
  @Produces
  @ApplicationScoped
  DynamicConfigPropertyList dynamicConfigProperties() {
    return new DynamicConfigPropertyList(List.of());
  }
}
