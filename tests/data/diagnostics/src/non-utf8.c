/* Latin-1 bytes follow */
#error café crème

int z;
